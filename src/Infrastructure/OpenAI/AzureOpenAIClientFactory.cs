using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Azure.AI.OpenAI;
using Azure.Core;
using Microsoft.Extensions.Logging;
using OpenAI.Chat;
using Wrapper.Infrastructure.Resilience;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>Builds the <see cref="AzureOpenAIClient"/> of each upstream from validated options: key auth when a key
/// is configured, Entra ID (the given credential) otherwise; the bounded retry policy; a per-try network timeout equal
/// to the whole call's budget. <see cref="CreatePool"/> puts them in an <see cref="UpstreamPool{TClient}"/>.</summary>
public static class AzureOpenAIClientFactory
{
    /// <summary>Name of the <see cref="System.Net.Http.IHttpClientFactory"/> client the SDK sends through.</summary>
    public const string HttpClientName = "AzureOpenAI";

    /// <summary>The client of the most preferred upstream (the one of OPENAI_ENDPOINT when no pool is configured).</summary>
    public static AzureOpenAIClient Create(AzureOpenAIOptions options, HttpClient httpClient, Func<TokenCredential> credential,
        TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var upstreams = options.ResolveUpstreams();
        var upstream = upstreams.OrderBy(u => u.Priority).FirstOrDefault()
                       ?? throw new InvalidOperationException("Azure OpenAI options are invalid: set OPENAI_ENDPOINT.");
        return Create(upstream, options, options.RetriesPerUpstream(upstreams.Count), httpClient, credential, time, loggerFactory);
    }

    /// <summary>The client of one upstream of the pool: its endpoint, key (or Entra ID) and API version, with the
    /// pool-wide timeouts and <paramref name="maxRetries"/> silent retries.</summary>
    public static AzureOpenAIClient Create(AzureOpenAIUpstreamOptions upstream, AzureOpenAIOptions options, int maxRetries, HttpClient httpClient,
        Func<TokenCredential> credential, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(loggerFactory);

        if (upstream.Endpoint is null || !AzureOpenAIServiceVersions.TryParse(upstream.ApiVersion, out var version))
        {
            // Validation at start reports these with clear messages; reaching here means validation was bypassed.
            throw new InvalidOperationException("Azure OpenAI options are invalid: set OPENAI_ENDPOINT and a supported OPENAI_API_VERSION.");
        }

        // One try may not outlast the request, nor a streamed answer's silence between two parts.
        var networkTimeout = options.StreamIdleTimeout is { } idle && idle > options.RequestTimeout ? idle : options.RequestTimeout;
        var clientOptions = new AzureOpenAIClientOptions(version)
        {
            RetryPolicy = new BoundedRetryPolicy(maxRetries, options.RequestTimeout, options.MaxRetryDelay, options.RetryBaseDelay,
                time, loggerFactory.CreateLogger<BoundedRetryPolicy>()),
            NetworkTimeout = networkTimeout,
            Transport = new HttpClientPipelineTransport(httpClient),
        };

        var logger = loggerFactory.CreateLogger(typeof(AzureOpenAIClientFactory));
        if (!string.IsNullOrWhiteSpace(upstream.ApiKey))
        {
            logger.LogInformation("Azure OpenAI upstream {Upstream} at {Endpoint}, deployment {Deployment}, api-version {ApiVersion}, priority {Priority}, weight {Weight}: key authentication",
                upstream.Name, upstream.Endpoint, upstream.Deployment, upstream.ApiVersion, upstream.Priority, upstream.Weight);
            return new AzureOpenAIClient(upstream.Endpoint, new ApiKeyCredential(upstream.ApiKey), clientOptions);
        }

        logger.LogInformation("Azure OpenAI upstream {Upstream} at {Endpoint}, deployment {Deployment}, api-version {ApiVersion}, priority {Priority}, weight {Weight}: Entra ID (DefaultAzureCredential)",
            upstream.Name, upstream.Endpoint, upstream.Deployment, upstream.ApiVersion, upstream.Priority, upstream.Weight);
        return new AzureOpenAIClient(upstream.Endpoint, credential(), clientOptions);
    }

    /// <summary>The pool of every configured upstream: one client and one circuit breaker each.</summary>
    public static UpstreamPool<ChatClient> CreatePool(AzureOpenAIOptions options, HttpClient httpClient, Func<TokenCredential> credential,
        TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var upstreams = options.ResolveUpstreams();
        if (upstreams.Count == 0)
        {
            throw new InvalidOperationException("Azure OpenAI options are invalid: set OPENAI_ENDPOINT or AzureOpenAI:Upstreams.");
        }

        var breakers = options.CircuitBreaker.IsEnabledFor(upstreams.Count);
        var retries = options.RetriesPerUpstream(upstreams.Count);
        var circuitLogger = loggerFactory.CreateLogger<UpstreamCircuit>();
        var members = upstreams.Select(u =>
        {
            var name = u.Name ?? u.Endpoint!.Authority;
            var client = Create(u, options, retries, httpClient, credential, time, loggerFactory).GetChatClient(u.Deployment);
            return new PooledUpstream<ChatClient>(name, u.Deployment!, u.Priority, u.Weight, client,
                new UpstreamCircuit(name, breakers, options.CircuitBreaker, time, circuitLogger), DeploymentUri(u));
        }).ToList();

        var budget = new UpstreamPoolBudget(options.RequestTimeout, options.AttemptTimeout, options.MaxUpstreamAttempts ?? members.Count);
        return new UpstreamPool<ChatClient>(members, budget, time, loggerFactory.CreateLogger<UpstreamPool<ChatClient>>());
    }

    /// <summary><c>GET {endpoint}/openai/deployments/{deployment}?api-version=...</c> of one upstream: the data-plane
    /// call that proves the endpoint, the credentials and the deployment without spending a token.</summary>
    public static Uri DeploymentUri(AzureOpenAIUpstreamOptions upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        var endpoint = upstream.Endpoint ?? throw new InvalidOperationException("Azure OpenAI options are invalid: an upstream has no endpoint.");
        return new Uri(endpoint.AbsoluteUri.TrimEnd('/')
            + "/openai/deployments/" + Uri.EscapeDataString(upstream.Deployment ?? AzureOpenAIOptions.DefaultDeployment)
            + "?api-version=" + Uri.EscapeDataString(upstream.ApiVersion ?? AzureOpenAIOptions.DefaultApiVersion));
    }

    /// <summary>The primary handler of the SDK's HttpClient: no redirects (an answer moved elsewhere is not ours to
    /// follow with our credentials), pooled connections renewed for DNS changes, and, when the options carry a
    /// <see cref="AzureOpenAIOptions.TrustedCertificate"/>, that one certificate accepted as the server's in addition
    /// to the system's trust (chain errors only; a name mismatch still fails).</summary>
    public static SocketsHttpHandler CreateHandler(AzureOpenAIOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };

        if (options.TrustedCertificate is { } trusted)
        {
            var pinned = trusted.RawData;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null
                    && certificate.GetRawCertData().AsSpan().SequenceEqual(pinned));
        }

        return handler;
    }
}
