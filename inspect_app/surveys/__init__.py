"""Surveys (满意度测评、调查问卷): the rules that keep respondents anonymous and the results
computed from their answers. Pure: no Flask, no database; storage/surveys.py keeps the data and
web/surveys.py, web/respond.py serve it."""
