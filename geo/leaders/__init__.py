"""Leaders paired with places (区级领导包联) and the five-to-one pairs (五包一)."""
