"""Laid-out drawings of the prerequisite graph, shared by every web process and machine."""

from django.db import models


class GraphDrawing(models.Model):
    """One drawing (notes.graph.svg), stored by the layout job under the hash of exactly what it
    shows: a web process reads it here, never lays a graph out itself. Rows are never changed;
    a graph that changes has another hash."""

    digest = models.CharField(max_length=64, unique=True)
    svg = models.TextField()
    width = models.FloatField()
    height = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "notes"

    def __str__(self) -> str:
        return f"drawing {self.digest[:12]} ({self.width:g}×{self.height:g})"
