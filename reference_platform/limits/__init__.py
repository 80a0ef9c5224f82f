"""Rate limits by plan and route class, and the plans customers are on."""
