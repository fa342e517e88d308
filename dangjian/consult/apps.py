from django.apps import AppConfig


class ConsultConfig(AppConfig):
    name = "dangjian.consult"
    verbose_name = "12371 党建咨询"
