-- A community owns what lasts from week to week: its catalogue, its pickup points, its staff and
-- its residents (issue 28). Until now a show's `community` was only a label; each label becomes a
-- community, "公园街道·小西湖社区" as district 公园街道 and name 小西湖社区 (store/communities.rs
-- splits labels the same way). Products and pickup points are their show's community's. Every id
-- stays what it was; `show_id` stays on products and pickup points until the code reads the
-- catalogue by community.
CREATE TABLE communities (
    id         INTEGER PRIMARY KEY,
    district   TEXT    NOT NULL DEFAULT '',
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (district, name)
);

INSERT OR IGNORE INTO communities (district, name, created_at)
SELECT CASE WHEN instr(community, '·') > 0
            THEN substr(community, 1, instr(community, '·') - 1) ELSE '' END,
       CASE WHEN instr(community, '·') > 0
            THEN substr(community, instr(community, '·') + 1) ELSE community END,
       MIN(created_at)
FROM shows GROUP BY community ORDER BY MIN(id);

ALTER TABLE shows ADD COLUMN community_id INTEGER REFERENCES communities(id);
UPDATE shows SET community_id = (
    SELECT c.id FROM communities c
    WHERE c.district = CASE WHEN instr(shows.community, '·') > 0
                            THEN substr(shows.community, 1, instr(shows.community, '·') - 1)
                            ELSE '' END
      AND c.name = CASE WHEN instr(shows.community, '·') > 0
                        THEN substr(shows.community, instr(shows.community, '·') + 1)
                        ELSE shows.community END
);
CREATE INDEX shows_community ON shows(community_id);

ALTER TABLE products ADD COLUMN community_id INTEGER REFERENCES communities(id);
UPDATE products SET community_id = (SELECT s.community_id FROM shows s WHERE s.id = products.show_id);
CREATE INDEX products_community ON products(community_id);

ALTER TABLE pickup_points ADD COLUMN community_id INTEGER REFERENCES communities(id);
UPDATE pickup_points
SET community_id = (SELECT s.community_id FROM shows s WHERE s.id = pickup_points.show_id);
CREATE INDEX pickup_points_community ON pickup_points(community_id);
