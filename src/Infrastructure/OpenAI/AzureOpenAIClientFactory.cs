using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Azure.AI.OpenAI;
using Azure.Core;
using Microsoft.Extensions.Logging;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>Builds the one <see cref="AzureOpenAIClient"/> of the process from validated options: key auth when a key
/// is configured, Entra ID (the given credential) otherwise; the bounded retry policy; a per-try network timeout equal
/// to the whole call's budget.</summary>
public static class AzureOpenAIClientFactory
{
    /// <summary>Name of the <see cref="System.Net.Http.IHttpClientFactory"/> client the SDK sends through.</summary>
    public const string HttpClientName = "AzureOpenAI";

    public static AzureOpenAIClient Create(AzureOpenAIOptions options, HttpClient httpClient, Func<TokenCredential> credential,
        TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(credential);

        if (options.Endpoint is null || !AzureOpenAIServiceVersions.TryParse(options.ApiVersion, out var version))
        {
            // Validation at start reports these with clear messages; reaching here means validation was bypassed.
            throw new InvalidOperationException("Azure OpenAI options are invalid: set OPENAI_ENDPOINT and a supported OPENAI_API_VERSION.");
        }

        var clientOptions = new AzureOpenAIClientOptions(version)
        {
            RetryPolicy = new BoundedRetryPolicy(options.MaxRetries, options.RequestTimeout, options.MaxRetryDelay, options.RetryBaseDelay,
                time, loggerFactory.CreateLogger<BoundedRetryPolicy>()),
            NetworkTimeout = options.RequestTimeout,
            Transport = new HttpClientPipelineTransport(httpClient),
        };

        var logger = loggerFactory.CreateLogger(typeof(AzureOpenAIClientFactory));
        if (!string.IsNullOrWhiteSpace(options.ApiKey))
        {
            logger.LogInformation("Azure OpenAI client for {Endpoint}, deployment {Deployment}, api-version {ApiVersion}: key authentication",
                options.Endpoint, options.Deployment, options.ApiVersion);
            return new AzureOpenAIClient(options.Endpoint, new ApiKeyCredential(options.ApiKey), clientOptions);
        }

        logger.LogInformation("Azure OpenAI client for {Endpoint}, deployment {Deployment}, api-version {ApiVersion}: Entra ID (DefaultAzureCredential)",
            options.Endpoint, options.Deployment, options.ApiVersion);
        return new AzureOpenAIClient(options.Endpoint, credential(), clientOptions);
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
