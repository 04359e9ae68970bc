using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ForgetPredict.Server.Tests;

/// <summary>Request helpers and problem+json assertions.</summary>
internal static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 7807 answer with <paramref name="status"/> whose detail contains every fragment; returns the detail.</summary>
    public static async Task<string> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status, params string[] fragments)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        // RFC 9110's statuses, and 507 Insufficient Storage from RFC 4918.
        Assert.Matches("^https://tools.ietf.org/html/rfc(9110|4918)#section-", problem.GetProperty("type").GetString() ?? string.Empty);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.StartsWith("/", problem.GetProperty("instance").GetString(), StringComparison.Ordinal);
        var detail = problem.GetProperty("detail").GetString() ?? string.Empty;
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, detail, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", detail, StringComparison.Ordinal);
        return detail;
    }

    /// <summary>
    /// Asserts that the service's examples are the rows of a CLI <c>predict --out</c> table (<c>example,predicted,std,probability,...</c>),
    /// in order, to the bit.
    /// </summary>
    public static void AssertSameRows(IReadOnlyList<string[]> rows, IReadOnlyList<JsonElement> served)
    {
        Assert.Equal(rows.Count, served.Count);
        for (var j = 0; j < rows.Count; j++)
        {
            Assert.Equal(rows[j][0], served[j].GetProperty("id").GetString());
            Assert.Equal(double.Parse(rows[j][1], System.Globalization.CultureInfo.InvariantCulture), served[j].GetProperty("predicted").GetDouble());
            Assert.Equal(double.Parse(rows[j][2], System.Globalization.CultureInfo.InvariantCulture), served[j].GetProperty("std").GetDouble());
            Assert.Equal(double.Parse(rows[j][3], System.Globalization.CultureInfo.InvariantCulture), served[j].GetProperty("probability").GetDouble());
        }
    }

    public static MultipartFormDataContent Upload(string fileName, byte[] matrix, params (string Field, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(matrix);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        foreach (var (field, value) in fields)
        {
            form.Add(new StringContent(value), field);
        }

        return form;
    }
}
