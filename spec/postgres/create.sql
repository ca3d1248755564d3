-- Schema and data of TechEmpower's create-postgres.sql (toolset/databases/postgres/ in
-- FrameworkBenchmarks), run by the cluster's superuser in `hello_world` after
-- create-database.sql: World (10,000 rows) and Fortune (12 rows), each under both spellings
-- TechEmpower creates (World and "World", Fortune and "Fortune"), and pg_stat_statements.
--
-- One difference: TechEmpower's random numbers come from an unseeded random(). Here they come
-- from a seeded generator written out below, so every run, on every machine and PostgreSQL
-- version, starts from the same rows: the Park-Miller minimal standard generator,
--   x(0) = 1 (the seed), x(n) = 48271 * x(n-1) mod (2^31 - 1), randomNumber(n) = 1 + x(n) mod 10000,
-- in integer arithmetic only (48271 * x < 2^47 fits a bigint). Draws 1..10,000 fill World,
-- draws 10,001..20,000 fill "World". By hand:
--   psql -v ON_ERROR_STOP=1 -d postgres -f create-database.sql
--   psql -v ON_ERROR_STOP=1 -d hello_world -f create.sql
BEGIN;

CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

CREATE TEMPORARY TABLE seeded_draws ON COMMIT DROP AS
WITH RECURSIVE draws(n, x) AS (
  SELECT 1, (48271 * 1::bigint) % 2147483647
  UNION ALL
  SELECT n + 1, (48271 * x) % 2147483647 FROM draws WHERE n < 20000
)
SELECT n, (1 + x % 10000)::integer AS random_number FROM draws;

CREATE TABLE  World (
  id integer NOT NULL,
  randomNumber integer NOT NULL default 0,
  PRIMARY KEY  (id)
);
GRANT ALL PRIVILEGES ON World to benchmarkdbuser;

INSERT INTO World (id, randomnumber)
SELECT n, random_number FROM seeded_draws WHERE n <= 10000;

CREATE TABLE Fortune (
  id integer NOT NULL,
  message varchar(2048) NOT NULL,
  PRIMARY KEY  (id)
);
GRANT ALL PRIVILEGES ON Fortune to benchmarkdbuser;

INSERT INTO Fortune (id, message) VALUES (1, 'fortune: No such file or directory');
INSERT INTO Fortune (id, message) VALUES (2, 'A computer scientist is someone who fixes things that aren''t broken.');
INSERT INTO Fortune (id, message) VALUES (3, 'After enough decimal places, nobody gives a damn.');
INSERT INTO Fortune (id, message) VALUES (4, 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1');
INSERT INTO Fortune (id, message) VALUES (5, 'A computer program does what you tell it to do, not what you want it to do.');
INSERT INTO Fortune (id, message) VALUES (6, 'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen');
INSERT INTO Fortune (id, message) VALUES (7, 'Any program that runs right is obsolete.');
INSERT INTO Fortune (id, message) VALUES (8, 'A list is only as strong as its weakest link. — Donald Knuth');
INSERT INTO Fortune (id, message) VALUES (9, 'Feature: A bug with seniority.');
INSERT INTO Fortune (id, message) VALUES (10, 'Computers make very fast, very accurate mistakes.');
INSERT INTO Fortune (id, message) VALUES (11, '<script>alert("This should not be displayed in a browser alert box.");</script>');
INSERT INTO Fortune (id, message) VALUES (12, 'フレームワークのベンチマーク');

CREATE TABLE  "World" (
  id integer NOT NULL,
  randomNumber integer NOT NULL default 0,
  PRIMARY KEY  (id)
);
GRANT ALL PRIVILEGES ON "World" to benchmarkdbuser;

INSERT INTO "World" (id, randomnumber)
SELECT n - 10000, random_number FROM seeded_draws WHERE n > 10000;

CREATE TABLE "Fortune" (
  id integer NOT NULL,
  message varchar(2048) NOT NULL,
  PRIMARY KEY  (id)
);
GRANT ALL PRIVILEGES ON "Fortune" to benchmarkdbuser;

INSERT INTO "Fortune" (id, message) SELECT id, message FROM Fortune;

COMMIT;

-- Not in TechEmpower's script: planner statistics and the visibility map now, so that
-- autovacuum does not wake up for the freshly loaded rows in the middle of a measurement.
VACUUM ANALYZE;
