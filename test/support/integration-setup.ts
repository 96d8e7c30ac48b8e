// Integration tests talk to a real broker, registry and database: hooks and tests get minutes, not seconds.
jest.setTimeout(180_000);
