// Integration suites boot real services and train small models; jest's 5 s default is for unit tests.
jest.setTimeout(180_000);
