"""Curated starter knowledge base (党务问答) shipped as package data."""
