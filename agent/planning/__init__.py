"""Pieces of the day planner (``agent.planner.plan_day``): the free time of a day, and how to word it."""
