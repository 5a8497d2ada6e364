"""Property firms in the open (红色物业): register, contracts, fees, statements, the method."""
