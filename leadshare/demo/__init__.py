"""Demo data: a living programme with partners, people and two months of referrals (`manage.py demo`)."""

from leadshare.demo.builder import DemoResult, Login, build, login_table
from leadshare.demo.data import PASSWORD

__all__ = ["PASSWORD", "DemoResult", "Login", "build", "login_table"]
