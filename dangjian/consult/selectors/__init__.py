"""Every read of consult's rows goes through ``Model.objects.visible_to(user, perm)``."""
