-- When a pickup point is open (e.g. 每天 8:00–21:00), as the host enters it; may be empty.
ALTER TABLE pickup_points ADD COLUMN hours TEXT NOT NULL DEFAULT '';
