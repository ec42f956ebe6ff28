"""The web console (SPEC section 12): the live hall, figures and reports, the follow-up, counter panels for clerks and
the citizens' phone page, served by aiohttp from the broker's state and read-only views of the hub's databases."""
