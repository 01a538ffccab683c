-- title: Word-count distribution
-- description: How many works fall in each length band, from drabbles to novels.
select
    case
        when words < 1000 then '1: under 1,000'
        when words < 5000 then '2: 1,000-4,999'
        when words < 10000 then '3: 5,000-9,999'
        when words < 50000 then '4: 10,000-49,999'
        when words < 100000 then '5: 50,000-99,999'
        else '6: 100,000 and over'
    end as band,
    count(*) as works,
    sum(words) as words
from works
where words is not null
group by band
order by band
