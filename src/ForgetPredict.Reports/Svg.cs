using System.Globalization;
using System.Net;
using System.Text;

namespace ForgetPredict.Reports;

/// <summary>A minimal SVG writer: shapes and text with escaped content and culture-invariant coordinates.</summary>
internal sealed class Svg
{
    private readonly StringBuilder _body = new();

    public Svg(double width, double height, string label)
    {
        Width = width;
        Height = height;
        Label = label;
    }

    public double Width { get; }

    public double Height { get; }

    public string Label { get; }

    public static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    public Svg Rect(double x, double y, double w, double h, string fill, string? title = null, string? cssClass = null)
    {
        _body.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(Math.Max(w, 0))}\" height=\"{N(Math.Max(h, 0))}\" fill=\"{fill}\"");
        if (cssClass is not null)
        {
            _body.Append(CultureInfo.InvariantCulture, $" class=\"{cssClass}\"");
        }

        _body.Append(title is null ? "/>" : $"><title>{Escape(title)}</title></rect>");
        return this;
    }

    public Svg Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, bool dashed = false)
    {
        _body.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\"{(dashed ? " stroke-dasharray=\"4 3\"" : string.Empty)}/>");
        return this;
    }

    public Svg Text(double x, double y, string text, string anchor = "start", double size = 12, string fill = "#222", bool bold = false)
    {
        _body.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x)}\" y=\"{N(y)}\" text-anchor=\"{anchor}\" font-size=\"{N(size)}\" fill=\"{fill}\"{(bold ? " font-weight=\"600\"" : string.Empty)}>{Escape(text)}</text>");
        return this;
    }

    public Svg VerticalText(double x, double y, string text, double size = 12, string fill = "#222")
    {
        _body.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x)}\" y=\"{N(y)}\" text-anchor=\"middle\" font-size=\"{N(size)}\" fill=\"{fill}\" transform=\"rotate(-90 {N(x)} {N(y)})\">{Escape(text)}</text>");
        return this;
    }

    public Svg Polyline(IEnumerable<(double X, double Y)> points, string stroke, double width = 2)
    {
        var list = string.Join(' ', points.Select(p => $"{N(p.X)},{N(p.Y)}"));
        _body.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{list}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\"/>");
        return this;
    }

    public Svg Circle(double x, double y, double r, string fill, string? title = null)
    {
        _body.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{N(x)}\" cy=\"{N(y)}\" r=\"{N(r)}\" fill=\"{fill}\"");
        _body.Append(title is null ? "/>" : $"><title>{Escape(title)}</title></circle>");
        return this;
    }

    public Svg Image(double x, double y, double w, double h, string dataUri)
    {
        _body.Append(CultureInfo.InvariantCulture, $"<image x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(w)}\" height=\"{N(h)}\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"{dataUri}\"/>");
        return this;
    }

    public override string ToString() =>
        $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {N(Width)} {N(Height)}\" width=\"{N(Width)}\" height=\"{N(Height)}\" role=\"img\" aria-label=\"{Escape(Label)}\" class=\"chart\"><title>{Escape(Label)}</title>{_body}</svg>";
}
