"""Run by Label Studio's own Python (bench/.venvs/label-studio), never by QuietRoom's: sets up
the people and the project of the review bench in Label Studio's database, through its models.

    python bench/_labelstudio_setup.py CLIENTS PASSWORD CLIP_DIR

Prints one JSON line: {"project": id, "emails": [...], "owner": email}. The tasks themselves
are imported afterwards over HTTP (`/api/projects/{id}/import`), Label Studio's own path.
Environment: Label Studio's settings variables, as bench/_labelstudio.py sets them.
"""
from __future__ import annotations

import json
import os
import sys

import label_studio

sys.path.insert(0, os.path.dirname(label_studio.__file__))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.label_studio")

import django  # noqa: E402

django.setup()

from io_storages.localfiles.models import LocalFilesImportStorage  # noqa: E402
from organizations.models import Organization  # noqa: E402
from projects.models import Project  # noqa: E402
from users.models import User  # noqa: E402

# The reviewer's job in Label Studio's terms: hear the clip, type what was said.
LABEL_CONFIG = """<View>
  <Audio name="audio" value="$audio"/>
  <TextArea name="transcription" toName="audio" rows="2" editable="true" maxSubmissions="1"/>
</View>"""


def main(clients: int, password: str, clip_dir: str) -> None:
    owner = User.objects.create_user(email="owner@bench.local", password=password, username="owner")
    organisation = Organization.create_organization(created_by=owner, title="Bench")
    owner.active_organization = organisation
    owner.save(update_fields=["active_organization"])
    emails = []
    for i in range(clients):
        email = f"annotator{i}@bench.local"
        user = User.objects.create_user(email=email, password=password, username=f"annotator{i}")
        organisation.add_user(user)
        user.active_organization = organisation
        user.save(update_fields=["active_organization"])
        emails.append(email)
    # Overlap as QuietRoom's bench has it: 10% of tasks heard by two annotators, one each.
    project = Project.objects.create(
        title="Review bench", label_config=LABEL_CONFIG, created_by=owner, organization=organisation,
        maximum_annotations=2, overlap_cohort_percentage=10, show_overlap_first=False,
        sampling=Project.SEQUENCE, show_skip_button=True,
    )
    LocalFilesImportStorage.objects.create(project=project, path=clip_dir, title="clips", use_blob_urls=False)
    print(json.dumps({"project": project.pk, "emails": emails, "owner": owner.email}))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
