-- The role and database the targets use, as TechEmpower's create-postgres-database.sql
-- (toolset/databases/postgres/ in FrameworkBenchmarks), run by the cluster's superuser in the
-- `postgres` database; create.sql then fills `hello_world`.
--
-- One difference: TechEmpower makes benchmarkdbuser a superuser. Here it may read and write
-- the benchmark tables (create.sql grants them) and read every statement's counts
-- (pg_read_all_stats), but not reset them: the harness measures queries per request with
-- those counts, so a target must not be able to wipe them.
CREATE ROLE benchmarkdbuser WITH LOGIN PASSWORD 'benchmarkdbpass';
GRANT pg_read_all_stats TO benchmarkdbuser;
CREATE DATABASE hello_world WITH TEMPLATE = template0 ENCODING 'UTF8';
