-- title: Works published per month
-- description: How many of the indexed works were first published in each month, with their total words.
select
    substr(published, 1, 7) as month,
    count(*) as works,
    sum(words) as words
from works
where published is not null
group by month
order by month
