"""The film domain. Services reach AI only through the Brain they are handed."""
