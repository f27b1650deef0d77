print("quantty")
