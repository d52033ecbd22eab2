"""Statistics: states, periods, the metrics and the engines that compute them."""
