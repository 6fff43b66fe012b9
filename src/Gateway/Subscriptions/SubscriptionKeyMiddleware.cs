using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Wrapper.Gateway.Configuration;
using Wrapper.Gateway.Errors;

namespace Wrapper.Gateway.Subscriptions;

/// <summary>
/// The first step of the proxy pipeline when <see cref="GatewayOptions.Subscribers"/> are configured: admits a caller
/// only with a subscriber's key in <c>Ocp-Apim-Subscription-Key</c> (or <c>api-key</c>, the header the deployed API
/// Management accepts), as APIM does, and answers 401 problem details otherwise. On the OpenAI-compatible routes
/// (<c>/openai/…</c>) the key may also come as <c>Authorization: Bearer &lt;key&gt;</c>, which is how OpenAI's SDKs send
/// their <c>apiKey</c> (Azure OpenAI's send <c>api-key</c>), and a refusal is written in OpenAI's error shape so that
/// those SDKs report it. The subscriber found is kept as an
/// <see cref="HttpContext"/> feature for <see cref="BackendRequestTransform"/>. Keys are compared as SHA-256 digests
/// in constant time, every subscriber each time.
/// </summary>
public sealed class SubscriptionKeyMiddleware
{
    public const string SubscriptionKeyHeader = "Ocp-Apim-Subscription-Key";
    public const string ApiKeyHeader = "api-key";

    /// <summary>The OpenAI-compatible routes: <c>/openai/v1/…</c>, <c>/openai/deployments/…</c>, <c>/openai/models</c>.</summary>
    public static readonly PathString OpenAIPaths = new("/openai");

    private readonly RequestDelegate _next;
    private readonly GatewayProblems _problems;
    private readonly IReadOnlyList<(byte[] Digest, Subscriber Subscriber)> _subscribers;

    public SubscriptionKeyMiddleware(RequestDelegate next, IOptions<GatewayOptions> options, GatewayProblems problems)
    {
        _next = next;
        _problems = problems;
        _subscribers = options.Value.Subscribers
            .Select(s => (Hash(s.Key.Trim()), new Subscriber(s.Id, string.IsNullOrEmpty(s.Product) ? null : s.Product)))
            .ToList();
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (_subscribers.Count == 0)
        {
            return _next(context);
        }

        var presented = PresentedKey(context.Request);
        if (presented is not null && Find(presented) is { } subscriber)
        {
            context.Features.Set(subscriber);
            return _next(context);
        }

        return _problems.SubscriptionKeyRequiredAsync(context, missing: presented is null, openAI: IsOpenAIRoute(context.Request));
    }

    private Subscriber? Find(string presented)
    {
        var digest = Hash(presented);
        Subscriber? match = null;
        foreach (var (candidate, subscriber) in _subscribers)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, candidate))
            {
                match ??= subscriber;
            }
        }

        return match;
    }

    /// <summary>Whether the request is for the OpenAI-compatible routes, where the key may come as a bearer token.</summary>
    public static bool IsOpenAIRoute(HttpRequest request) => request.Path.StartsWithSegments(OpenAIPaths, StringComparison.OrdinalIgnoreCase);

    private static string? PresentedKey(HttpRequest request)
    {
        foreach (var header in new[] { SubscriptionKeyHeader, ApiKeyHeader })
        {
            if (request.Headers[header].ToString().Trim() is { Length: > 0 } key)
            {
                return key;
            }
        }

        if (IsOpenAIRoute(request)
            && request.Headers.Authorization.ToString() is var authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && authorization["Bearer ".Length..].Trim() is { Length: > 0 } bearer)
        {
            return bearer;
        }

        return null;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

/// <summary>The caller admitted by its subscription key.</summary>
public sealed record Subscriber(string Id, string? Product);
