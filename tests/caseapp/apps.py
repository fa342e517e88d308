from django.apps import AppConfig


class CaseAppConfig(AppConfig):
    name = "tests.caseapp"
    label = "caseapp"
    verbose_name = "案件引擎测试"
