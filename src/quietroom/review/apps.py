from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "quietroom.review"
    label = "review"

    def ready(self):
        # The gate sits above the apps; each app hands it the policy for its purposes here, at
        # start-up, so no module of the app imports the gate from below.
        from quietroom import gate

        from .corrections import correction_policy
        from .policy import adjudication_policy, transcription_policy

        gate.register_policy("transcription", transcription_policy)
        gate.register_policy("adjudication", adjudication_policy)
        gate.register_policy("quality", gate.allow_all)  # agreement and gold scores: QuietRoom's own read
        # A reviewer reopening their own last submission to correct it (within the window).
        gate.register_policy("correction", correction_policy)
