using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using Wrapper.Api.Contracts;
using Wrapper.Api.Simulation;

namespace Wrapper.Api.OpenApi;

/// <summary>The OpenAPI document (<c>/swagger/v1/swagger.json</c>) and Swagger UI (<c>/swagger</c>). Both are public
/// (no key): they describe the routes and carry no secret, and a browser cannot send a key for the page itself. When
/// client keys (<c>API_KEYS</c>, <c>Auth:ApiKeys</c>) or Entra ID tokens (<c>Auth:EntraId</c>) are configured, the
/// document declares the <c>api-key</c> header scheme (and the bearer scheme for Entra ID) and requires one of them
/// on every operation, so that Swagger UI shows Authorize and sends what was entered there.</summary>
public static class OpenApiSetup
{
    public const string DocumentName = "v1";

    /// <summary>The OpenAI-compatible routes' own document (<c>/swagger/openai/swagger.json</c>): their shapes are OpenAI's,
    /// not this API's ProblemDetails.</summary>
    public const string OpenAIDocumentName = "openai";

    /// <summary>The API-key security scheme's name in the document.</summary>
    public const string ApiKeySchemeName = "ApiKey";

    /// <summary>The Entra ID bearer security scheme's name in the document.</summary>
    public const string BearerSchemeName = "EntraId";

    public static IServiceCollection AddOpenApiDocument(this IServiceCollection services, IConfiguration configuration)
    {
        var keys = ClientKeysConfigured(configuration);
        var entraId = Security.EntraIdAuthentication.IsConfigured(configuration);
        var anonymousHealth = configuration.GetValue<bool?>("Auth:AllowAnonymousHealth") ?? false;
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Wrapper",
                Version = "v1",
                Description = Description,
            });
            options.SwaggerDoc(OpenAIDocumentName, new OpenApiInfo
            {
                Title = "Wrapper: OpenAI-compatible routes",
                Version = "v1",
                Description = OpenAIDescription,
            });
            // Swashbuckle's default puts ungrouped operations in every document; the OpenAI-compatible document holds its
            // own routes only, and the main document everything else.
            options.DocInclusionPredicate((document, operation) => document == OpenAIDocumentName
                ? operation.GroupName == OpenAIDocumentName
                : operation.GroupName is null || operation.GroupName == document);
            options.IncludeXmlComments(typeof(OpenApiSetup).Assembly, includeControllerXmlComments: true);
            options.OperationFilter<OpenAICompatible.OpenAIRequestBodyOperationFilter>();
            options.SupportNonNullableReferenceTypes();
            options.OperationFilter<StandardHeadersOperationFilter>();
            options.OperationFilter<EventStreamResponseOperationFilter>();
            options.DocumentFilter<SimulatedModeDocumentFilter>();
            options.AddSchemaFilterInstance(new TryItOutExamplesSchemaFilter());
            if (keys)
            {
                options.AddSecurityDefinition(ApiKeySchemeName, new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = "api-key",
                    Description = "Your client key, sent as the `api-key` header (`Authorization: Bearer <key>` is accepted too).",
                });
            }

            if (entraId)
            {
                options.AddSecurityDefinition(BearerSchemeName, new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "An Entra ID access token for this API's audience (`Auth:EntraId:Audience`), sent as `Authorization: Bearer <token>`.",
                });
            }

            if (keys || entraId)
            {
                options.AddOperationFilterInstance(new SecurityRequirementsOperationFilter(keys, entraId, anonymousHealth));
            }
        });
        return services;
    }

    public static WebApplication UseOpenApiDocument(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint($"/swagger/{DocumentName}/swagger.json", "Wrapper v1");
            options.SwaggerEndpoint($"/swagger/{OpenAIDocumentName}/swagger.json", "OpenAI-compatible");
            options.RoutePrefix = "swagger";
            options.DocumentTitle = "Wrapper";
        });
        return app;
    }

    /// <summary>True when client keys are configured (<c>API_KEYS</c> or an <c>Auth:ApiKeys</c> entry): the same
    /// settings the key check reads.</summary>
    public static bool ClientKeysConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["API_KEYS"]) || configuration.GetSection("Auth:ApiKeys").GetChildren().Any();

    private const string OpenAIDescription =
        "Point the OpenAI or Azure OpenAI SDKs here: `baseURL: <service>/openai/v1` (OpenAI) or `endpoint: <service>` " +
        "(AzureOpenAI), your client key as the API key, a model name of `GET /openai/v1/models`. Requests go through the " +
        "service's keys, quotas, upstream pool and failover. Bodies pass through untouched except `model` and, on streams, " +
        "`stream_options.include_usage`. Errors come in OpenAI's shape `{\"error\":{\"message\",\"type\",\"param\",\"code\"}}` " +
        "with Retry-After and retry-after-ms where known. See docs/openai-compatible.md.";

    private const string Description =
        "A REST face on Azure OpenAI (`GET /completion`, `POST /chat`, `GET /health`) and the Azure AI Foundry Agent " +
        "Service (`POST /bing-grounding`, `POST /agents/{name}`).\n\n" +
        "Errors are RFC 9457 ProblemDetails (`application/problem+json`) with a machine-readable `code`, " +
        "a `traceId` and the `correlationId`; `/health` keeps the original `{\"status\":\"error\",...}` shape. " +
        "Send `X-APIM-Correlation-Id` to correlate a request with the service logs; it is echoed on every response " +
        "(one is made when absent or unusable).\n\n" +
        "**Keys**: when the service has client keys, click **Authorize** and enter yours (sent as the `api-key` header); " +
        "this page and the document itself need none.\n\n" +
        "**Simulated mode**: a side without its Azure endpoint (`OPENAI_ENDPOINT`, `AZURE_AI_PROJECT_ENDPOINT`) is " +
        "answered by a built-in simulator of the Azure protocols (in the Development environment, or elsewhere with " +
        "`WRAPPER_ALLOW_SIMULATOR=true`); every response then carries `X-Wrapper-Simulated` naming the simulated sides " +
        "(`openai`, `agents`) and `/health` reports `\"simulated\"` for them.";
}

/// <summary>Puts a warning first in the document's description while any side is simulated.</summary>
internal sealed class SimulatedModeDocumentFilter(SimulatedSides sides) : IDocumentFilter
{
    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
    {
        // A copy: the configured OpenApiInfo is shared by every generation of the document.
        if (sides.Any && swaggerDoc.Info is { } info)
        {
            swaggerDoc.Info = new OpenApiInfo
            {
                Title = info.Title,
                Version = info.Version,
                Description = $"**This instance is running in SIMULATED mode ({sides.HeaderValue}): those answers are not produced by Azure.**\n\n" + info.Description,
            };
        }
    }
}

/// <summary>Examples that Swagger UI's "Try it out" can send as they are: the agent question body asks a question
/// and nothing else (no made-up <c>thread_id</c>, which would name no thread, and no <c>keep_thread</c>, which would
/// leave a thread behind).</summary>
internal sealed class TryItOutExamplesSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (context.Type == typeof(AgentQuestionRequest) && schema is OpenApiSchema concrete)
        {
            concrete.Examples = [new JsonObject { ["query"] = "What happened in finance today?" }];
        }
    }
}

/// <summary>Requires the configured schemes (either one) on every operation, except <c>GET /health</c> when
/// <c>Auth:AllowAnonymousHealth</c> opens it; documents the 401 they answer without one.</summary>
internal sealed class SecurityRequirementsOperationFilter(bool keys, bool entraId, bool anonymousHealth) : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var path = "/" + (context.ApiDescription.RelativePath ?? string.Empty).TrimStart('/');
        if (anonymousHealth && path.Equals("/health", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        operation.Security ??= [];
        if (keys)
        {
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiSetup.ApiKeySchemeName, context.Document)] = [] });
        }

        if (entraId)
        {
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiSetup.BearerSchemeName, context.Document)] = [] });
        }

        operation.Responses ??= [];
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No valid key or token was sent (`missing_api_key`, `invalid_api_key`)." });
    }
}

/// <summary>Documents the headers every operation shares: the optional <c>X-APIM-Correlation-Id</c> request
/// header, its echo on every response, <c>Retry-After</c> on 429/503, and <c>X-Wrapper-Simulated</c>.</summary>
internal sealed class StandardHeadersOperationFilter : IOperationFilter
{
    private readonly bool _simulated;

    public StandardHeadersOperationFilter(SimulatedSides sides) => _simulated = sides.Any;

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = Correlation.CorrelationId.HeaderName,
            In = ParameterLocation.Header,
            Required = false,
            Description = "Correlation id to use for this request (1-128 letters, digits or -_.:/+=); one is made when absent or unusable.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = Correlation.CorrelationId.MaxLength },
        });

        if (operation.Responses is null)
        {
            return;
        }

        foreach (var (status, response) in operation.Responses)
        {
            if (response is not OpenApiResponse concrete)
            {
                continue;
            }

            concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
            concrete.Headers[Correlation.CorrelationId.HeaderName] = new OpenApiHeader
            {
                Description = "The request's correlation id (the caller's, or one made by the service).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
            if (status is "429" or "503" or "403")
            {
                concrete.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before retrying: until the client's own limit resets (429 client_rate_limited, client_token_limit; 403 client_quota_exceeded), or as the model service said.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                };
            }

            if (_simulated)
            {
                concrete.Headers[Simulation.SimulatedModeHeaderMiddleware.HeaderName] = new OpenApiHeader
                {
                    Description = "Present when answers come from a simulator, not Azure: the simulated sides (`openai`, `agents` or `openai, agents`).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }
        }
    }
}
