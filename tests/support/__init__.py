"""What the tests share that is not a fixture: data builders, servers, page readers."""
