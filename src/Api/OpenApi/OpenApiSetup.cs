using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Wrapper.Api.OpenApi;

/// <summary>The OpenAPI document (<c>/swagger/v1/swagger.json</c>) and Swagger UI (<c>/swagger</c>).</summary>
public static class OpenApiSetup
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddOpenApiDocument(this IServiceCollection services, bool simulated)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Wrapper",
                Version = "v1",
                Description = Description(simulated),
            });
            options.IncludeXmlComments(typeof(OpenApiSetup).Assembly, includeControllerXmlComments: true);
            options.SupportNonNullableReferenceTypes();
            options.AddOperationFilterInstance(new StandardHeadersOperationFilter(simulated));
        });
        return services;
    }

    public static WebApplication UseOpenApiDocument(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint($"/swagger/{DocumentName}/swagger.json", "Wrapper v1");
            options.RoutePrefix = "swagger";
            options.DocumentTitle = "Wrapper";
        });
        return app;
    }

    private static string Description(bool simulated)
    {
        var text =
            "A REST face on Azure OpenAI: `GET /completion`, `POST /chat` and `GET /health`.\n\n" +
            "Errors are RFC 9457 ProblemDetails (`application/problem+json`) with a machine-readable `code`, " +
            "a `traceId` and the `correlationId`; `/health` keeps the original `{\"status\":\"error\",...}` shape. " +
            "Send `X-APIM-Correlation-Id` to correlate a request with the service logs; it is echoed on every response " +
            "(one is made when absent or unusable).\n\n" +
            "**Simulated mode**: when the service runs without `OPENAI_ENDPOINT`, answers come from a built-in " +
            "simulator of the Azure OpenAI protocol, every response carries `X-Wrapper-Simulated: true` and `/health` " +
            "reports `\"azure_openai\":\"simulated\"`.";
        return simulated
            ? "**This instance is running in SIMULATED mode: answers are not produced by Azure OpenAI.**\n\n" + text
            : text;
    }
}

/// <summary>Documents the headers every operation shares: the optional <c>X-APIM-Correlation-Id</c> request
/// header, its echo on every response, <c>Retry-After</c> on 429/503, and <c>X-Wrapper-Simulated</c>.</summary>
internal sealed class StandardHeadersOperationFilter : IOperationFilter
{
    private readonly bool _simulated;

    public StandardHeadersOperationFilter(bool simulated) => _simulated = simulated;

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
                    Description = "Present (true) when answers come from the simulator, not Azure OpenAI.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }
        }
    }
}
