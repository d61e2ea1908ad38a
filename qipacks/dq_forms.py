"""Forms for the data-quality area: the admin's CSV upload."""

from django import forms

from .data_quality import MAX_BYTES


class ImportForm(forms.Form):
    """One CSV file of data-quality figures."""

    file = forms.FileField(
        label="CSV file",
        help_text=(
            "A CSV file saved as UTF-8, with the columns in the template. "
            f"Up to {MAX_BYTES // 1024 // 1024} MB."
        ),
        # An empty file reaches the import, which records it and says so.
        allow_empty_file=True,
        error_messages={
            "required": "Choose a CSV file to upload.",
            "invalid": "Choose a CSV file to upload.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the largest we "
                f"take is {MAX_BYTES // 1024 // 1024} MB. Split it into smaller "
                "files and upload each one."
            )
        return upload
