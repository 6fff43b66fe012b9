using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Wrapper.FunctionalTests.Infrastructure;

/// <summary>Reading and checking responses.</summary>
public static class HttpAssertions
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Asserts an RFC 9457 body: problem+json, the status in the body, title, type and our extensions.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string? code = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(status), body);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), body);
        });

        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Multiple(() =>
        {
            Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
            Assert.That(problem.GetProperty("title").GetString(), Is.Not.Empty);
            Assert.That(problem.GetProperty("type").GetString(), Does.StartWith("https://"));
            Assert.That(problem.GetProperty("traceId").GetString(), Is.Not.Empty);
            Assert.That(problem.GetProperty("correlationId").GetString(),
                Is.EqualTo(response.Headers.GetValues("X-APIM-Correlation-Id").Single()));
            if (code is not null)
            {
                Assert.That(problem.GetProperty("code").GetString(), Is.EqualTo(code));
            }

            Assert.That(body, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(body, Does.Not.Contain("Exception"), "no exception type or text");
        });
        return problem;
    }

    /// <summary>Asserts a 400 ValidationProblemDetails whose errors include <paramref name="field"/>.</summary>
    public static async Task<JsonElement> AssertValidationProblemAsync(this HttpResponseMessage response, string field)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        var errors = problem.GetProperty("errors");
        Assert.That(errors.TryGetProperty(field, out var messages), Is.True, $"errors has '{field}': {errors}");
        Assert.That(messages.EnumerateArray().Select(m => m.GetString()), Is.Not.Empty.And.All.Not.Empty);
        return problem;
    }

    public static string? RetryAfter(this HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta ? ((int)delta.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;

    public static MediaTypeHeaderValue? ContentType(this HttpResponseMessage response) => response.Content.Headers.ContentType;
}
