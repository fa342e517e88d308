from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "dangjian.home"
    label = "home"
    verbose_name = "首页"
