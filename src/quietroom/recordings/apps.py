from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "quietroom.recordings"
    label = "recordings"

    def ready(self):
        from quietroom import gate
        from quietroom.decisions import ALLOWED, Decision, Reason, Refusal

        def pipeline_only(read):
            # Raw audio is read by the de-identification pipeline, never by a person.
            if read.user is None:
                return ALLOWED
            return Decision.of([Reason(Refusal.NO_PERMISSION, "raw recordings are read by the pipeline only")])

        gate.register_policy("deidentification", pipeline_only)
