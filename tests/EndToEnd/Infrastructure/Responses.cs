using System.Net.Http.Json;
using System.Text.Json;

namespace Wrapper.EndToEndTests.Infrastructure;

public static class Responses
{
    public const string ServedBy = "X-Served-By-Instance";
    public const string AffinityCookie = "APIM-Backend-Instance";

    public static string? ServedByOf(this HttpResponseMessage response) =>
        response.Headers.TryGetValues(ServedBy, out var values) ? values.Single() : null;

    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    /// <summary>The value of <c>APIM-Backend-Instance</c> in the response's Set-Cookie, or null.</summary>
    public static string? AffinityCookieSet(this HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            return null;
        }

        foreach (var cookie in cookies)
        {
            var nameValue = cookie.Split(';')[0];
            var eq = nameValue.IndexOf('=');
            if (eq > 0 && nameValue[..eq].Trim() == AffinityCookie)
            {
                return nameValue[(eq + 1)..].Trim();
            }
        }

        return null;
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();
}
