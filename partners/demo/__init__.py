"""Demo data: a living programme with partners, people and two months of referrals (`manage.py demo`)."""

from partners.demo.builder import DemoResult, Login, build, login_table
from partners.demo.data import PASSWORD

__all__ = ["PASSWORD", "DemoResult", "Login", "build", "login_table"]
