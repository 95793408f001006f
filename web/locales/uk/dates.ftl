# Dates as days (pages::when::day): the day, the month (month-N, in events.ftl), the year.
date-day = { $day } { $month } { $year } р.
