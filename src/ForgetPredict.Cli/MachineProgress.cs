using System.Text.Json;

namespace ForgetPredict.Cli;

/// <summary>
/// Progress for programs that drive the command line (the Python package): with <c>FORGETPREDICT_PROGRESS=json</c> in the
/// environment, long commands write one JSON line per step to standard error,
/// <c>{"progress": {"stage": "fitting", "fraction": 0.2, "detail": "mf"}}</c>, fraction from 0 to 1 and never decreasing.
/// </summary>
internal sealed class MachineProgress
{
    /// <summary>The environment variable that turns it on (value <c>json</c>).</summary>
    public const string Variable = "FORGETPREDICT_PROGRESS";

    private readonly TextWriter _error;
    private readonly Lock _lock = new();
    private double _last = -1;
    private string? _lastStage;

    private MachineProgress(TextWriter error)
    {
        _error = error;
    }

    /// <summary>A reporter writing to <paramref name="error"/> when the environment asks for one, else null.</summary>
    public static MachineProgress? For(TextWriter error) =>
        string.Equals(Environment.GetEnvironmentVariable(Variable), "json", StringComparison.OrdinalIgnoreCase) ? new MachineProgress(error) : null;

    /// <summary>Reports a stage and the fraction of the whole command done; steps under 1% within a stage are skipped.</summary>
    public void Report(string stage, double fraction, string? detail = null)
    {
        lock (_lock)
        {
            fraction = Math.Clamp(Math.Max(fraction, _last), 0, 1);
            if (stage == _lastStage && fraction - _last < 0.01 && fraction < 1)
            {
                return;
            }

            (_last, _lastStage) = (fraction, stage);
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteStartObject("progress");
                w.WriteString("stage", stage);
                Commands.JsonOut.Number(w, "fraction", Math.Round(fraction, 4));
                if (detail is not null)
                {
                    w.WriteString("detail", detail);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            _error.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            _error.Flush();
        }
    }

    /// <summary>Per-method fractions of an evaluation folded into one overall fraction (methods run one after another).</summary>
    public IProgress<(string Method, double Fraction)> ForMethods(IReadOnlyList<string> methods) => new MethodProgress(this, methods);

    private sealed class MethodProgress(MachineProgress owner, IReadOnlyList<string> methods) : IProgress<(string Method, double Fraction)>
    {
        public void Report((string Method, double Fraction) value)
        {
            var index = Math.Max(0, IndexOf(value.Method));
            owner.Report("evaluating", (index + value.Fraction) / Math.Max(methods.Count, 1), value.Method);
        }

        private int IndexOf(string method)
        {
            for (var i = 0; i < methods.Count; i++)
            {
                if (string.Equals(methods[i], method, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
