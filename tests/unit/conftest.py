"""The unit tests' shared root: pytest puts this folder on sys.path (rootdir-less conftest), so
the test doubles kept here (`fake_clock`) import the same way from every unit test folder."""
