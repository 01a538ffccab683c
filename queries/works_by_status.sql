-- title: Works by status
-- description: How many indexed works are available, deleted, restricted to logged-in users, unrevealed or hidden.
select status, count(*) as works
from works
group by status
order by works desc, status
