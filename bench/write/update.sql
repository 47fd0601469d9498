-- bench/write/update.sql — change two columns of every row of :tbl in one statement.
BEGIN \;
UPDATE :"tbl" SET status = 'paused', updated_at = clock_timestamp() \;
COMMIT;
