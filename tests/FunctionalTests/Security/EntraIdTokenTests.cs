using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Wrapper.FunctionalTests.Security;

/// <summary>Entra ID tokens (APIM's managed identity) accepted besides keys, validated with a test signing key
/// in place of the tenant's published keys.</summary>
public sealed class EntraIdTokenTests
{
    private const string Issuer = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0";
    private const string Audience = "api://wrapper";
    private static readonly SymmetricSecurityKey SigningKey = new(System.Text.Encoding.UTF8.GetBytes("a-test-signing-key-of-at-least-32-bytes!!"));

    private static string Token(string audience, DateTime? expires = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = audience,
        Subject = new ClaimsIdentity([new Claim("azp", "apim-managed-identity")]),
        Expires = expires ?? DateTime.UtcNow.AddMinutes(10),
        NotBefore = (expires ?? DateTime.UtcNow.AddMinutes(10)).AddMinutes(-20),
        SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256),
    });

    private static async Task<HttpStatusCode> GetWithTokenAsync(string token)
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["Auth:EntraId:Authority"] = Issuer;
        settings["Auth:EntraId:Audience"] = Audience;
        await using var factory = new SecuredApiFactory(settings);
        using var configured = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options =>
            {
                options.Configuration = new OpenIdConnectConfiguration { Issuer = Issuer };
                options.TokenValidationParameters.IssuerSigningKey = SigningKey;
                options.TokenValidationParameters.ValidIssuer = Issuer;
            })));
        using var client = configured.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hi");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Test]
    public async Task ShouldAcceptAValidToken() =>
        Assert.That(await GetWithTokenAsync(Token(Audience)), Is.EqualTo(HttpStatusCode.OK));

    [Test]
    public async Task ShouldRejectATokenForAnotherAudience() =>
        Assert.That(await GetWithTokenAsync(Token("api://someone-else")), Is.EqualTo(HttpStatusCode.Unauthorized));

    [Test]
    public async Task ShouldRejectAnExpiredToken() =>
        Assert.That(await GetWithTokenAsync(Token(Audience, DateTime.UtcNow.AddMinutes(-10))), Is.EqualTo(HttpStatusCode.Unauthorized));
}
