-- The schema registry's own database, beside hookstream's (docker-compose only; the stack script does the same).
CREATE DATABASE registry OWNER hookstream;
