# -*- coding: utf-8 -*-
import pytest

from conftest import spin


def test_plain():
    spin(0.5)


def test_fast():
    pass


class TestK(object):
    def test_method(self):
        spin(0.3)


@pytest.mark.parametrize("arg", ["a/b-1.5", u"\u00e9t\u00e9"])
def test_param(arg):
    spin(0.25)


def test_fixtures(slow_setup, slow_teardown):
    spin(0.3)


def test_fails():
    spin(0.3)
    assert 1 == 2


@pytest.mark.skip(reason="skipped on purpose")
def test_skipped():
    spin(5)
