-- title: Longest-running works in progress
-- description: Unfinished works with the most days between their first publication and their latest update.
select
    id,
    title,
    published,
    updated,
    cast(julianday(updated) - julianday(published) as integer) as days_running,
    chapters_posted,
    chapters_total
from works
where completed = 0 and published is not null and updated is not null
order by days_running desc, id
limit 50
