"""中组发〔2008〕3号 at every bracket boundary and for each category."""

from decimal import Decimal

import pytest

from dangjian.dues import rules
from dangjian.dues.rules import Category, monthly_amount


@pytest.mark.parametrize(
    ("category", "base", "fen", "rate"),
    [
        ("employed", 300000, 1500, "0.005"),
        ("employed", 300001, 3000, "0.01"),
        ("employed", 500000, 5000, "0.01"),
        ("employed", 500001, 7500, "0.015"),
        ("employed", 1000000, 15000, "0.015"),
        ("employed", 1000001, 20000, "0.02"),
        ("self_employed", 300001, 3000, "0.01"),
        ("retired", 500000, 2500, "0.005"),
        ("retired", 500001, 5000, "0.01"),
        ("employed", 0, 0, "0.005"),
        ("employed", 123456, 617, "0.005"),  # 6.1728 元 → 6.17 (half up at the fen)
        ("employed", 123500, 618, "0.005"),  # 6.175 → 6.18
    ],
)
def test_brackets(category, base, fen, rate):
    amount = monthly_amount(category, base)
    assert (amount.fen, amount.rate) == (fen, Decimal(rate))
    assert amount.rule


@pytest.mark.parametrize("category", ["student", "unemployed", "relief"])
def test_fixed_categories_pay_twenty_fen(category):
    amount = monthly_amount(category)
    assert (amount.fen, amount.rate) == (20, None)


def test_farmers_pay_the_branch_amount_within_range():
    assert monthly_amount(Category.FARMER).fen == 20
    assert monthly_amount(Category.FARMER, farmer_fen=100).fen == 100
    for bad in (19, 101):
        with pytest.raises(ValueError, match=r"0\.2 元至 1 元"):
            monthly_amount(Category.FARMER, farmer_fen=bad)


def test_voluntary_higher_amount_replaces_a_lower_one():
    assert monthly_amount("employed", 300000, voluntary_fen=5000).fen == 5000
    assert monthly_amount("employed", 300000, voluntary_fen=1000).fen == 1500


def test_base_required_and_bounded():
    with pytest.raises(ValueError):
        monthly_amount("employed")
    with pytest.raises(ValueError):
        monthly_amount("retired", -1)


def test_yuan_and_months():
    assert rules.yuan_to_fen("3000.01") == 300001
    with pytest.raises(ValueError):
        rules.yuan_to_fen("1.001")
    assert rules.fen_to_yuan(5) == "0.05"
    import datetime as dt

    assert rules.add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert rules.first_billable_month(dt.date(2026, 3, 17)) == dt.date(2026, 3, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "body"),
    [
        ("category=employed&base=3000.00", {"amount": "15.00", "rate": "0.005"}),
        ("category=employed&base=3000.01", {"amount": "30.00", "rate": "0.01"}),
        ("category=retired&base=5000.01", {"amount": "50.00", "rate": "0.01"}),
        ("category=farmer", {"amount": "0.20", "rate": None}),
        ("category=farmer&base=0.5", {"amount": "0.50", "rate": None}),
        ("category=student", {"amount": "0.20", "rate": None}),
    ],
)
def test_amount_api(client, query, body):
    response = client.get(f"/api/v1/dues/amount?{query}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert {k: data[k] for k in body} == body and data["rule"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "category=farmer&base=2",
        "category=employed",
        "category=x&base=1",
        "category=employed&base=1.001",
    ],
)
def test_amount_api_refuses(client, query):
    assert client.get(f"/api/v1/dues/amount?{query}").status_code == 422
