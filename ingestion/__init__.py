"""dlt sources that land raw tracker data in the warehouse."""
