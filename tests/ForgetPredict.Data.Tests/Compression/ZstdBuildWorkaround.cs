// tests/Directory.Build.props turns off GenerateDocumentationFile for test projects while .editorconfig raises IDE0005 to a
// warning; Roslyn then reports "EnableGenerateDocumentationFile" (IDE0005 cannot run without documentation comments parsed),
// which TreatWarningsAsErrors makes fatal for any test project with code. Until the shared props change (set
// GenerateDocumentationFile to true and keep CS1591 in NoWarn), this suppression lets the test project build.
[assembly: System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "EnableGenerateDocumentationFile",
    Justification = "Test projects build without XML documentation; see the note above.")]
