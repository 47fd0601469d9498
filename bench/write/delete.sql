-- bench/write/delete.sql — delete every row of :tbl in one statement.
BEGIN \;
DELETE FROM :"tbl" \;
COMMIT;
