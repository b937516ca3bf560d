namespace Library.SharedKernel.Resources;

/// <summary>
/// The names of every resource in the app model. AppHost, services and tests use these so that a
/// connection string or discovery key can never drift between the one who sets it and the one who reads it.
/// </summary>
#if LIBRARY_APPHOST
// The AppHost compiles this file in (it does not reference the services' kernel); internal there, so a test that
// references both assemblies sees one ResourceNames.
internal static class ResourceNames
#else
public static class ResourceNames
#endif
{
    public const string Postgres = "postgres";
    public const string CatalogDb = "catalogdb";
    public const string LendingDb = "lendingdb";
    public const string PatronDb = "patrondb";
    public const string Redis = "redis";
    public const string EventBus = "eventbus";
    public const string Etcd = "etcd";

    public const string Mail = "mail";
    public const string Kafka = "kafka";
    public const string CatalogApi = "catalog-api";
    public const string LendingApi = "lending-api";
    public const string PatronApi = "patron-api";
    public const string Gateway = "gateway";
}
