"""Reading, validating, embedding and writing KomInn data into a GraphStore."""
