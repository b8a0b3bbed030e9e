"""Duty reports (日报 / 班报 / 月报): figures from the alarm journal and the stored readings,
then the same figures as PDF and Excel."""
